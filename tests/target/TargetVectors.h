// SPDX-License-Identifier: Apache-2.0
// The shapes of the published vectors (tests/data/vectors/pboc.json) as constant data for the target image; the
// values are generated into PbocVectorsData.h at configure time. Hex strings, "" when the vector has no such field.
#pragma once

#include <cstddef>

namespace skey::target {

struct Primitive
{
    const char* name;
    const char* key;
    const char* data;
    const char* expected;
    const char* iv;
};

struct Step
{
    const char* c;
    const char* r;
};

struct Flow
{
    const char* name;
    const char* dlk; ///< "" = the flow continues on the previous flow's token
    const char* dpk;
    const char* dtk;
    const char* cardRandom;
    Step steps[8];
    std::size_t stepCount;
};

struct Personalization
{
    const char* name;
    const char* kt;
    const char* challenge;
    const char* c;
    const char* plaintext;
};

} // namespace skey::target
