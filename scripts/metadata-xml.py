#!/usr/bin/env python3
# SPDX-License-Identifier: MIT OR Apache-2.0
"""Write the libphonenumber metadata acm bundles (src/number/metadata/PhoneNumberMetadata.xml.gz).

    python3 scripts/metadata-xml.py             # needs `pip install phonenumbers`

The `phonenumber` crate bundles libphonenumber's metadata as of its release (0.3.10: 9.0.33),
and numbering plans change every few weeks: a range opened since is an invalid CLI to it, and
every call presenting one is flagged. The Python `phonenumbers` package follows libphonenumber's
releases within days. This script writes its metadata in libphonenumber's XML form, which the
crate's loader reads (`phonenumber::metadata::Database::parse`); acm parses the file once at
start (src/number/plan.rs, `Metadata::bundled`).

What is written: every territory and non-geographic entity with its dialling attributes, its
number types (pattern and possible lengths, as the Python package resolved them from the XML)
and its national formats. Not written: international formats that differ from the national ones
(acm keys numbers by E.164 and never formats them for display this way), and the short-number,
carrier and geocoding data (not read by the loader). Re-run when the package's data changes and
say in the commit which version it was.
"""

import gzip
import re
import sys
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import phonenumbers
from phonenumbers import PhoneMetadata

OUT = Path(__file__).resolve().parent.parent / "src" / "number" / "metadata" / "PhoneNumberMetadata.xml.gz"

# The loader's element names for each descriptor, in libphonenumber's order.
DESCRIPTORS = [
    ("general_desc", "generalDesc"),
    ("fixed_line", "fixedLine"),
    ("mobile", "mobile"),
    ("pager", "pager"),
    ("toll_free", "tollFree"),
    ("premium_rate", "premiumRate"),
    ("shared_cost", "sharedCost"),
    ("personal_number", "personalNumber"),
    ("voip", "voip"),
    ("uan", "uan"),
    ("voicemail", "voicemail"),
    ("no_international_dialling", "noInternationalDialling"),
]


def attr(name: str, value) -> str:
    return f" {name}={quoteattr(str(value))}"


def dollars(rule):
    """Python's back-references (\\1) as the XML writes them ($1)."""
    return None if rule is None else re.sub(r"\\(\d)", r"$\1", rule)


def lengths(values) -> str:
    return ",".join(str(v) for v in values if v > 0)


def descriptor(tag: str, d) -> list:
    if d is None or d.national_number_pattern is None:
        return []
    lines = [f"      <{tag}>"]
    national = lengths(d.possible_length or ())
    local = lengths(d.possible_length_local_only or ())
    if national:
        lines.append(
            "        <possibleLengths" + attr("national", national) + (attr("localOnly", local) if local else "") + "/>"
        )
    if d.example_number:
        lines.append(f"        <exampleNumber>{escape(d.example_number)}</exampleNumber>")
    lines.append(f"        <nationalNumberPattern>{escape(d.national_number_pattern)}</nationalNumberPattern>")
    lines.append(f"      </{tag}>")
    return lines


def number_format(f) -> list:
    head = "        <numberFormat" + attr("pattern", f.pattern)
    if f.national_prefix_formatting_rule:
        head += attr("nationalPrefixFormattingRule", dollars(f.national_prefix_formatting_rule))
    if f.national_prefix_optional_when_formatting:
        head += attr("nationalPrefixOptionalWhenFormatting", "true")
    if f.domestic_carrier_code_formatting_rule:
        head += attr("carrierCodeFormattingRule", dollars(f.domestic_carrier_code_formatting_rule))
    lines = [head + ">"]
    for ld in f.leading_digits_pattern or ():
        lines.append(f"          <leadingDigits>{escape(ld)}</leadingDigits>")
    lines.append(f"          <format>{escape(dollars(f.format))}</format>")
    lines.append("        </numberFormat>")
    return lines


def territory(m) -> list:
    head = "    <territory" + attr("id", m.id) + attr("countryCode", m.country_code)
    for name, value in [
        ("mainCountryForCode", "true" if m.main_country_for_code else None),
        ("leadingDigits", m.leading_digits),
        ("internationalPrefix", m.international_prefix),
        ("preferredInternationalPrefix", m.preferred_international_prefix),
        ("nationalPrefix", m.national_prefix),
        ("preferredExtnPrefix", m.preferred_extn_prefix),
        ("nationalPrefixForParsing", m.national_prefix_for_parsing),
        ("nationalPrefixTransformRule", dollars(m.national_prefix_transform_rule)),
        ("mobileNumberPortableRegion", "true" if m.mobile_number_portable_region else None),
    ]:
        if value is not None:
            head += attr(name, value)
    lines = [head + ">"]
    if m.number_format:
        lines.append("      <availableFormats>")
        for f in m.number_format:
            lines += number_format(f)
        lines.append("      </availableFormats>")
    for field, tag in DESCRIPTORS:
        lines += descriptor(tag, getattr(m, field))
    lines.append("    </territory>")
    return lines


def main() -> None:
    if len(sys.argv) != 1:
        sys.exit(__doc__)
    entries = [PhoneMetadata.metadata_for_region(r) for r in sorted(phonenumbers.SUPPORTED_REGIONS)]
    entries += [PhoneMetadata.metadata_for_nongeo_region(c) for c in sorted(phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS)]
    missing = [e for e in entries if e is None]
    if missing:
        sys.exit(f"{len(missing)} entries without metadata")
    out = [
        f"<!-- libphonenumber metadata as the Python phonenumbers {phonenumbers.__version__} package carries it;",
        "     written by scripts/metadata-xml.py. Data: Copyright (C) the libphonenumber authors, Apache-2.0. -->",
        "<phoneNumberMetadata>",
        "  <territories>",
    ]
    for m in entries:
        out += territory(m)
    out += ["  </territories>", "</phoneNumberMetadata>", ""]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    # mtime 0: the same package version writes the same bytes.
    with open(OUT, "wb") as fh, gzip.GzipFile(fileobj=fh, mode="wb", mtime=0, filename="") as gz:
        gz.write("\n".join(out).encode())
    print(f"{OUT}: {len(entries)} entries, phonenumbers {phonenumbers.__version__}")


if __name__ == "__main__":
    main()
