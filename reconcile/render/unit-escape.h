/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Escaping of values placed in unit files (NULL on OOM):
 * - unit_value_escape(): a free-text value (Description=): '%' → "%%"; control characters, invalid
 *   UTF-8, a trailing backslash and leading/trailing blanks as literal "\xNN" text.
 * - unit_exec_arg_escape(): one ExecStart= argument, read back byte-exact by systemd: quoted when
 *   needed, C escapes for '\\', '"', control characters and invalid UTF-8, '%' → "%%", '$' → "$$". */
char *unit_value_escape(const char *s);
char *unit_exec_arg_escape(const char *s);
