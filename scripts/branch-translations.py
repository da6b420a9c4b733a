import re,glob,html,sys
import os; exec(open(os.path.join(os.path.dirname(__file__), 'branch-translations-zh.py')).read())
srcs = sorted(glob.glob('qml/branch/**/*.qml', recursive=True) + glob.glob('app/branch/*.cpp') + glob.glob('app/branch/*.h'))
ctxs = {}
for f in srcs:
    s = open(f).read()
    if f.endswith('.qml'):
        ctx = f.split('/')[-1][:-4]
        for m in re.finditer(r'qsTr\("((?:[^"\\]|\\.)*)"', s):
            ctxs.setdefault(ctx, []).append(m.group(1))
    else:
        name = f.split('/')[-1].rsplit('.',1)[0]
        for m in re.finditer(r'(?:\w+::)?tr\(\s*"((?:[^"\\]|\\.)*)"(\s*"(?:[^"\\]|\\.)*")*', s):
            parts = re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(0))
            ctxs.setdefault('wallet::branch::' + name, []).append(''.join(parts))
out = ['<?xml version="1.0" encoding="utf-8"?>','<!DOCTYPE TS>','<TS version="2.1" language="zh_CN">']
missing = 0
for ctx in sorted(ctxs):
    out.append('<context>'); out.append('    <name>%s</name>' % html.escape(ctx))
    for t in sorted(set(ctxs[ctx])):
        src = t.replace('\\"','"')
        tr = zh.get(src)
        if tr is None:
            print('missing', ctx, src, file=sys.stderr); missing += 1; continue
        if '%n' in src:
            out.append('    <message numerus="yes">\n        <source>%s</source>\n        <translation>\n            <numerusform>%s</numerusform>\n        </translation>\n    </message>' % (html.escape(src, quote=False), html.escape(tr, quote=False)))
        else:
            out.append('    <message>\n        <source>%s</source>\n        <translation>%s</translation>\n    </message>' % (html.escape(src, quote=False), html.escape(tr, quote=False)))
    out.append('</context>')
out.append('</TS>')
open('resources/translations/branch_zh_CN.ts','w').write('\n'.join(out)+'\n')
print('missing', missing)
