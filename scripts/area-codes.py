#!/usr/bin/env python3
# SPDX-License-Identifier: MIT OR Apache-2.0
"""Write the area-code list acm bundles for a calling code (src/number/area_codes/CC.txt).

    python3 scripts/area-codes.py 49            # needs `pip install phonenumbers`

The codes are the prefixes libphonenumber's geocoding data names a place for under the
calling code (for +49 the Bundesnetzagentur's ~5,200 Ortsnetzkennzahlen, 2-5 digits after
the trunk prefix). acm reads the file at start (src/number/areas.rs); a geographic CLI of the
home country that starts with none of them is an invalid CLI. Re-run when libphonenumber's
data changes, and say in the commit which version it was.
"""

import sys
from pathlib import Path

import phonenumbers
from phonenumbers.geodata import GEOCODE_DATA

OUT = Path(__file__).resolve().parent.parent / "src" / "number" / "area_codes"


def main() -> None:
    if len(sys.argv) != 2 or not sys.argv[1].isdigit():
        sys.exit(__doc__)
    cc = sys.argv[1]
    codes = sorted(k[len(cc):] for k in GEOCODE_DATA if k.startswith(cc) and len(k) > len(cc))
    if not codes:
        sys.exit(f"libphonenumber has no geocoding data under +{cc}")
    lines = [
        f"# Area codes under +{cc}: every prefix libphonenumber's geocoding data names a",
        f"# place for (phonenumbers {phonenumbers.__version__}; data Apache-2.0, Google's",
        "# libphonenumber). Written by scripts/area-codes.py; read by src/number/areas.rs.",
        f"# {len(codes)} codes, NSN digits after the calling code, by first digit.",
    ]
    by_first: dict[str, list[str]] = {}
    for c in codes:
        by_first.setdefault(c[0], []).append(c)
    for first in sorted(by_first):
        row = by_first[first]
        for i in range(0, len(row), 16):
            lines.append(" ".join(row[i:i + 16]))
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{cc}.txt").write_text("\n".join(lines) + "\n")
    print(f"{OUT / (cc + '.txt')}: {len(codes)} codes")


if __name__ == "__main__":
    main()
