#!/usr/bin/env python3
# runtime-embed.py INPUT OUTPUT NAME: writes OUTPUT, a C file defining the bytes of INPUT as
# `const unsigned char NAME[]` and their count as `const size_t NAME_size`.
import sys

data = open(sys.argv[1], 'rb').read()
name = sys.argv[3]
with open(sys.argv[2], 'w') as out:
    out.write('/* Generated from %s by runtime-embed.py: do not edit. */\n' % sys.argv[1].split('/')[-1])
    out.write('#include <stddef.h>\n\n')
    out.write('extern const unsigned char %s[];\nextern const size_t %s_size;\n\n' % (name, name))
    out.write('const unsigned char %s[] =\n' % name)
    for i in range(0, len(data), 32):
        out.write('        "%s"\n' % ''.join('\\x%02x' % b for b in data[i:i + 32]))
    out.write('        ;\nconst size_t %s_size = %d;\n' % (name, len(data)))
