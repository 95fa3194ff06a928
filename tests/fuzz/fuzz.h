/* fuzz.h - shared by the libFuzzer targets in tests/fuzz/. */
#ifndef ROOST_FUZZ_H
#define ROOST_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#endif
