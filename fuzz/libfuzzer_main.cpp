// libFuzzer's entry point for one Confab fuzz target, chosen at compile time by
// CONFAB_FUZZ_TARGET (see CMakeLists.txt).
#include "fuzztargets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return ConfabFuzz::CONFAB_FUZZ_TARGET(data, size);
}
