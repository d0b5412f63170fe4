"""Where the phone library's bytes go, by crate (scripts/size.sh --crates).

Reads a libonsite_ffi.so built with its symbols and the linker map written
beside it (`-Wl,-Map`). Rust code, all in the one LTO object, is summed by
symbol, each under the crate its demangled path starts with; C code (SQLCipher,
OpenSSL's libcrypto, zstd, ring's C and assembly) by the static library its
section came from in the map. Sizes are of code and read-only data; unwind
tables and relocations are not attributed.
"""

import collections
import re
import subprocess
import sys

NAMES = {
    "libsqlite3-sys": "SQLCipher (C, libsqlite3-sys)",
    "zstd-sys": "zstd (C, zstd-sys)",
    "ring": "ring (C and assembly)",
    "openssl-sys": "OpenSSL libcrypto (C, openssl-sys)",
}


def c_sizes(map_path):
    """Bytes of code and data from C objects, by the crate that built them.

    An input section line of lld's map reads `VMA LMA Size Align  path(member):(section)`;
    a build script's static library is bundled into its crate's rlib, so a
    C object's path is `.../lib<crate>-<hash>.rlib(<hash>-<file>.o)`.
    """
    sizes = collections.Counter()
    line_re = re.compile(
        r"^\s+[0-9a-f]+\s+[0-9a-f]+\s+([0-9a-f]+)\s+\d+\s+\S*/lib([A-Za-z0-9_]+)-[0-9a-f]+\.rlib\((\S+?)\):\((\.(?:text|rodata|data)\S*)\)"
    )
    with open(map_path, errors="replace") as f:
        for line in f:
            m = line_re.match(line)
            if not m or m.group(3).endswith(".rcgu.o"):
                continue
            crate = m.group(2).replace("_", "-")
            sizes[NAMES.get(crate, crate + " (C)")] += int(m.group(1), 16)
    return sizes


def rust_sizes(lib):
    """Bytes of Rust symbols, by the crate their path starts with."""
    out = subprocess.run(
        ["nm", "-S", "-C", "--defined-only", lib], capture_output=True, text=True, check=True
    ).stdout
    raw = subprocess.run(
        ["nm", "-S", "--defined-only", lib], capture_output=True, text=True, check=True
    ).stdout
    sizes = collections.Counter()
    for line, rawline in zip(out.splitlines(), raw.splitlines()):
        parts = line.split(None, 3)
        raw_parts = rawline.split(None, 3)
        if len(parts) < 4 or len(raw_parts) < 4 or parts[2].lower() not in "trd":
            continue
        mangled = raw_parts[3]
        if mangled.startswith(("uniffi_", "ffi_onsite", "UNIFFI_META")):
            sizes["onsite-ffi (uniffi's exported functions, the core inlined)"] += int(parts[1], 16)
            continue
        if not mangled.startswith(("_ZN", "_R")):
            continue
        name = re.sub(r"^(dyn |mut |const )+", "", parts[3].lstrip("<&*"))
        crate = re.split(r"::|<| |>|\[", name)[0]
        if not re.fullmatch(r"[a-z][a-z0-9_]*", crate):
            crate = "(generic impls on primitives and type parameters)"
        sizes[crate.replace("_", "-")] += int(parts[1], 16)
    return sizes


def main():
    lib, map_path = sys.argv[1], sys.argv[2]
    sizes = rust_sizes(lib) + c_sizes(map_path)
    total = sum(sizes.values())
    print("| crate | KB | share |\n|---|---:|---:|")
    shown = 0
    for crate, size in sizes.most_common():
        if size < 20_000:
            break
        shown += size
        print(f"| {crate} | {size / 1e3:.0f} | {100 * size / total:.1f}% |")
    print(f"| everything else | {(total - shown) / 1e3:.0f} | {100 * (total - shown) / total:.1f}% |")
    print(f"| **total attributed** | **{total / 1e3:.0f}** | |")
    print("\nThe file's sections (what symbols do not cover: unwind tables, strings, relocations):\n")
    print("| section | KB |\n|---|---:|")
    out = subprocess.run(["readelf", "-S", "-W", lib], capture_output=True, text=True, check=True).stdout
    rows = []
    for line in out.splitlines():
        m = re.match(r"^\s*\[\s*\d+\]\s+(\S+)\s+\S+\s+[0-9a-f]+\s+[0-9a-f]+\s+([0-9a-f]+)", line)
        if m and not m.group(1).startswith((".debug", ".symtab", ".strtab", ".comment")):
            rows.append((int(m.group(2), 16), m.group(1)))
    for size, name in sorted(rows, reverse=True):
        if size >= 10_000:
            print(f"| {name} | {size / 1e3:.0f} |")


if __name__ == "__main__":
    main()
