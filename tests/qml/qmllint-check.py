#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""qmllint over the project's QML modules as a test (issue 17 item 14): any qmllint warning fails it, except the one
class listed below, which is printed and counted.

  qmllint-check.py QMLLINT BUILD_QML_DIR QT_QML_DIR -- MODULE_SOURCE_DIR QRC[,QRC...] [-- MODULE_SOURCE_DIR QRC ...]

Every .qml file under each module's source folder is linted with the import paths and resource files of that module
(as the `<module>_qmllint` target of qt_add_qml_module does).

The one accepted warning class (Qt 6.4 qmllint; see docs/testing.md "qmllint"):
  * "Unqualified access" to an `id` declared in the same file, from inside a Component whose root object has required
    properties (a Repeater/ListView delegate, a Loader's sourceComponent). qmllint 6.4 assumes such a component may be
    created in another context; Qt 6.5 lets a file say it is not (`pragma ComponentBehavior: Bound`), which 6.4 does
    not parse. At run time the id resolves, and a name that did not resolve would be a ReferenceError, which fails
    every GUI test through tests/support/QmlWarnings. An unqualified name that is NOT an id of the same file (a typo,
    a context property, a model role used without `required`) still fails this test.
  * In qml/branch only: "Property X not found on type QObject". The branch station's view models (app/branch) are a
    plain library, not a QML module, so BranchMain.qml receives them as `QObject` and qmllint cannot know their
    members. The fix is to declare app/branch as a QML module (QML_ELEMENT, as app/gui and app/kiosk are) and type
    the properties; until then a wrong member name shows at run time as a TypeError/undefined binding, which fails
    test_branch_station_* through tests/support/QmlWarnings.
"""
import json
import os
import re
import subprocess
import sys


def main(argv):
    if len(argv) < 6 or argv[4] != "--":
        print(__doc__)
        return 2
    qmllint, build_qml, qt_qml = argv[1:4]
    modules = []
    rest = argv[5:]
    while rest:
        source_dir, qrcs = rest[0], rest[1].split(",")
        modules.append((source_dir, qrcs))
        rest = rest[3:] if len(rest) > 2 and rest[2] == "--" else rest[2:]

    failures, accepted, files_checked = [], [], 0
    root = os.path.dirname(os.path.commonpath([os.path.abspath(s) for s, _ in modules]))
    for source_dir, qrcs in modules:
        files = sorted(
            os.path.join(d, f) for d, _, names in os.walk(source_dir) for f in names if f.endswith(".qml"))
        # A module's own files only: nested modules (qml/branch, qml/kiosk) are listed as their own modules.
        nested = [s for s, _ in modules if s != source_dir and s.startswith(source_dir.rstrip("/") + "/")]
        files = [f for f in files if not any(f.startswith(n.rstrip("/") + "/") for n in nested)]
        files_checked += len(files)
        cmd = [qmllint, "--json", "-", "--bare", "-I", build_qml, "-I", qt_qml]
        for qrc in qrcs:
            cmd += ["--resource", qrc]
        run = subprocess.run(cmd + files, cwd=source_dir, capture_output=True, text=True)
        try:
            report = json.loads(run.stdout)
        except json.JSONDecodeError:
            print(run.stdout, run.stderr)
            failures.append(f"{source_dir}: qmllint gave no JSON report (exit {run.returncode})")
            continue
        for entry in report.get("files", []):
            name = entry["filename"]
            with open(name, encoding="utf-8") as f:
                text = f.read()
            ids = set(re.findall(r"\bid\s*:\s*([A-Za-z_][A-Za-z0-9_]*)", text))
            rel = os.path.relpath(name, root)
            for w in entry.get("warnings", []):
                if w.get("type") not in ("warning", "critical"):
                    continue
                offset, length = w.get("charOffset", -1), w.get("length", 0)
                word = text[offset:offset + length] if offset >= 0 else ""
                line = f"{rel}:{w.get('line')}:{w.get('column')}: {w['message']} ({word})"
                if w["message"] == "Unqualified access" and word in ids:
                    accepted.append(line)
                elif (os.path.basename(source_dir.rstrip("/")) == "branch"
                      and re.fullmatch(r'Property "\w+" not found on type "QObject"', w["message"])):
                    accepted.append(line + " [branch view models are not a QML module]")
                else:
                    failures.append(line)
            if not entry.get("success", True) and not entry.get("warnings"):
                failures.append(f"{rel}: qmllint failed without a warning (syntax?)")

    for a in accepted:
        print(f"accepted (see the classes at the top of tests/qml/qmllint-check.py): {a}")
    for f in failures:
        print(f"FAIL: {f}")
    print(f"qmllint: {files_checked} files, {len(failures)} warning(s) failing, {len(accepted)} accepted")
    return 1 if failures or files_checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
