/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-c/json.h>

#include "lib/macro.h"

/* json-c's reference drop as a cleanup: _cleanup_(json_object_putp). */
DEFINE_VOID_CLEANUP_FUNC(struct json_object*, json_object_put);
