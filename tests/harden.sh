#!/bin/sh
# harden.sh - checks that a built binary carries the hardening the Makefile
# asks for (HARDEN_FLAGS / HARDEN_LDFLAGS), by reading the ELF file:
#
#   PIE          ELF type DYN with a PT_INTERP (an executable, not a .so)
#   full RELRO   a GNU_RELRO segment and BIND_NOW (DT_BIND_NOW or
#                DT_FLAGS_1 NOW): the GOT is read-only after start-up
#   stack        an import of __stack_chk_fail (-fstack-protector-strong
#                put canaries in)
#   FORTIFY      imports of glibc's checked variants (__*_chk, e.g.
#                __memcpy_chk, __snprintf_chk): -D_FORTIFY_SOURCE=2 at -O2
#   NX stack     GNU_STACK without the execute flag
#
#   sh tests/harden.sh build/rel/faultline
#
# Prints "ok - NAME" / "not ok - NAME: WHY", then "N passed, N failed".
# Needs readelf (binutils).
set -u
if [ $# -ne 1 ] || [ ! -f "$1" ]; then
    echo "usage: $0 BINARY" >&2
    exit 2
fi
BIN=$1
export LC_ALL=C
passed=0
failed=0
ok() { echo "ok - $1"; passed=$((passed + 1)); }
not_ok() { echo "not ok - $1: $2"; failed=$((failed + 1)); }

hdr=$(readelf -h "$BIN") || exit 2
seg=$(readelf -lW "$BIN")
dyn=$(readelf -dW "$BIN")
syms=$(readelf --dyn-syms -W "$BIN")

if echo "$hdr" | grep -q 'Type:[[:space:]]*DYN' && echo "$seg" | grep -q 'INTERP'; then
    ok "PIE (type DYN with an interpreter)"
else
    not_ok "PIE" "$(echo "$hdr" | grep 'Type:')"
fi
if echo "$seg" | grep -q 'GNU_RELRO'; then
    ok "GNU_RELRO segment"
else
    not_ok "GNU_RELRO segment" "none in the program headers"
fi
if echo "$dyn" | grep -Eq '\(BIND_NOW\)|\(FLAGS\).*BIND_NOW|\(FLAGS_1\).*NOW'; then
    ok "BIND_NOW (full RELRO)"
else
    not_ok "BIND_NOW (full RELRO)" "no BIND_NOW / FLAGS_1 NOW in the dynamic section"
fi
if echo "$syms" | grep -q '__stack_chk_fail'; then
    ok "stack protector (__stack_chk_fail imported)"
else
    not_ok "stack protector" "__stack_chk_fail not imported"
fi
chk=$(echo "$syms" | grep -o '__[a-z0-9_]*_chk' | grep -v '__stack_chk' | sort -u)
nchk=$(echo "$chk" | grep -c . || true)
if [ "$nchk" -ge 3 ]; then
    ok "FORTIFY_SOURCE ($nchk checked functions: $(echo $chk | cut -c1-80)...)"
else
    not_ok "FORTIFY_SOURCE" "only $nchk __*_chk imports: $chk"
fi
if echo "$seg" | grep 'GNU_STACK' | grep -q 'RW '; then
    ok "non-executable stack"
else
    not_ok "non-executable stack" "$(echo "$seg" | grep GNU_STACK)"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
