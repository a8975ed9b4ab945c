/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

int main(int argc, char *argv[]) {
        printf("nspawn-compose %s\n", NC_VERSION);
        return 0;
}
