// SPDX-License-Identifier: Apache-2.0
// Replays a libFuzzer corpus through LLVMFuzzerTestOneInput in the normal test run (no libFuzzer needed), so every
// committed corpus entry and every past crash input stays a regression test under ASan/UBSan.
//   <replay> <corpus dir or file>...                               every file once (label fuzz-replay)
//   <replay> --executions N [--seed S] <corpus dir or file>...     then N mutated inputs (label slow): random bit
//        flips, byte changes, inserts, deletes, splices of two entries and truncations of the corpus, seeded (the
//        seed is printed; 0 or none = from the clock), the same entry point, so the harness's invariants run on each.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

using Input = std::vector<std::uint8_t>;

Input mutate(const std::vector<Input>& corpus, std::mt19937_64& rng)
{
    Input in = corpus[rng() % corpus.size()];
    const int edits = 1 + static_cast<int>(rng() % 8);
    for (int e = 0; e < edits; ++e) {
        const std::size_t at = in.empty() ? 0 : rng() % in.size();
        switch (rng() % 7) {
        case 0: // flip a bit
            if (!in.empty()) {
                in[at] = static_cast<std::uint8_t>(in[at] ^ (1u << (rng() % 8)));
            }
            break;
        case 1: // any byte
            if (!in.empty()) {
                in[at] = static_cast<std::uint8_t>(rng());
            }
            break;
        case 2: // an interesting byte (lengths, CLA/INS values, SW halves)
            if (!in.empty()) {
                static constexpr std::uint8_t kInteresting[] = {0x00, 0x01, 0x04, 0x0B, 0x7F, 0x80, 0x84, 0xFF};
                in[at] = kInteresting[rng() % sizeof kInteresting];
            }
            break;
        case 3: // insert bytes
            in.insert(in.begin() + static_cast<std::ptrdiff_t>(at), 1 + rng() % 4, static_cast<std::uint8_t>(rng()));
            break;
        case 4: // delete bytes
            if (!in.empty()) {
                const std::size_t n = std::min<std::size_t>(in.size() - at, 1 + rng() % 8);
                in.erase(
                    in.begin() + static_cast<std::ptrdiff_t>(at), in.begin() + static_cast<std::ptrdiff_t>(at + n));
            }
            break;
        case 5: { // splice: the tail of another entry
            const Input& other = corpus[rng() % corpus.size()];
            if (!other.empty()) {
                const std::size_t from = rng() % other.size();
                in.resize(at);
                in.insert(in.end(), other.begin() + static_cast<std::ptrdiff_t>(from), other.end());
            }
            break;
        }
        default: // truncate
            in.resize(at);
            break;
        }
        if (in.size() > 16384) {
            in.resize(16384);
        }
    }
    return in;
}

} // namespace

int main(int argc, char** argv)
{
    std::uint64_t executions = 0;
    std::uint64_t seed = 0;
    std::vector<std::string> roots;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--executions") == 0 && i + 1 < argc) {
            executions = std::strtoull(argv[++i], nullptr, 10);
        } else if (std::strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
            seed = std::strtoull(argv[++i], nullptr, 10);
        } else {
            roots.emplace_back(argv[i]);
        }
    }
    std::vector<Input> corpus;
    for (const std::string& r : roots) {
        const std::filesystem::path root(r);
        if (!std::filesystem::exists(root)) {
            std::fprintf(stderr, "corpus %s does not exist\n", r.c_str());
            return 1;
        }
        std::vector<std::filesystem::path> files;
        if (std::filesystem::is_directory(root)) {
            for (const auto& e : std::filesystem::recursive_directory_iterator(root)) {
                if (e.is_regular_file()) {
                    files.push_back(e.path());
                }
            }
        } else {
            files.push_back(root);
        }
        for (const auto& f : files) {
            std::ifstream in(f, std::ios::binary);
            corpus.emplace_back((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
            LLVMFuzzerTestOneInput(corpus.back().data(), corpus.back().size());
        }
    }
    if (corpus.empty()) {
        std::fprintf(stderr, "no corpus entries replayed\n");
        return 1;
    }
    std::printf("replayed %zu inputs: %zu passed, 0 failed\n", corpus.size(), corpus.size());
    if (executions == 0) {
        return 0;
    }
    if (seed == 0) {
        seed = static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) | 1u;
    }
    std::printf("mutating: %llu executions from seed %llu (rerun with --seed %llu)\n",
        static_cast<unsigned long long>(executions),
        static_cast<unsigned long long>(seed),
        static_cast<unsigned long long>(seed));
    std::fflush(stdout);
    std::mt19937_64 rng(seed);
    for (std::uint64_t n = 1; n <= executions; ++n) {
        const Input in = mutate(corpus, rng);
        LLVMFuzzerTestOneInput(in.data(), in.size());
        if (n % 1000000 == 0) {
            std::printf("  %llu executions\n", static_cast<unsigned long long>(n));
            std::fflush(stdout);
        }
    }
    std::printf("%llu mutated executions, 0 findings (seed %llu)\n",
        static_cast<unsigned long long>(executions),
        static_cast<unsigned long long>(seed));
    return 0;
}
