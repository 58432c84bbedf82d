/*
 * Copyright (c) 2026 RTvNIC authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at:
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS,
 * WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 * See the License for the specific language governing permissions and
 * limitations under the License.
 */

#ifndef RTVNIC_FUZZ_H
#define RTVNIC_FUZZ_H 1

/* What every RTvNIC libFuzzer target (tests/fuzz/) shares. */

#include <stddef.h>
#include <stdint.h>
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Aborts, naming the failed condition, unless 'COND' holds: libFuzzer
 * reports the abort as a crash and saves the input.  Unlike ovs_assert(),
 * never compiled out. */
#define FUZZ_CHECK(COND)                                                \
    ((COND) ? (void) 0                                                  \
     : ovs_abort(0, "%s:%d: fuzz check failed: %s",                     \
                 __FILE__, __LINE__, #COND))

#endif /* rtvnic-fuzz.h */
