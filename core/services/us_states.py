"""US state from a phone number's area code (NANP), for fans whose carrier named no state.

Twilio gives `FromState` for most inbound texts; when it does not (and for numbers typed on
the web), the area code says where the number was issued: close enough for "where are my
fans" and for quiet hours (a number keeps its area code when its owner moves, so this is
the number's home state, not where the fan is today). Non-geographic codes (toll-free 8xx,
5xx, 900) and other NANP countries (Canada, the Caribbean) give None.

The table was taken from libphonenumber's geocoding data (phonenumbers 9.0), one state per
area code (201, shared by a few New York ranges, is New Jersey's).
"""

from __future__ import annotations

import phonenumbers

# State (USPS code) -> its area codes.
_AREA_CODES_BY_STATE: dict[str, str] = {
    "AK": "907",
    "AL": "205 251 256 334 659 938",
    "AR": "327 479 501 870",
    "AZ": "480 520 602 623 928",
    "CA": (
        "209 213 279 310 323 341 350 369 408 415 424 442 510 530 559 562 619 626 628 650 657 661 "
        "669 707 714 738 747 760 805 818 820 831 840 858 909 916 925 949 951"
    ),
    "CO": "303 719 720 748 970 983",
    "CT": "203 475 860 959",
    "DC": "202 771",
    "DE": "302",
    "FL": (
        "239 305 321 324 352 386 407 448 561 645 656 689 727 728 754 772 786 813 850 863 904 941 "
        "954"
    ),
    "GA": "229 404 470 478 678 706 762 770 912 943",
    "HI": "808",
    "IA": "319 515 563 641 712",
    "ID": "208 986",
    "IL": "217 224 309 312 331 447 464 618 630 708 730 773 779 815 847 872",
    "IN": "219 260 317 463 574 765 812 930",
    "KS": "316 620 785 913",
    "KY": "270 364 502 606 859",
    "LA": "225 318 337 504 985",
    "MA": "339 351 413 508 617 774 781 857 978",
    "MD": "227 240 301 410 443 667",
    "ME": "207",
    "MI": "231 248 269 313 517 586 616 734 810 906 947 989",
    "MN": "218 320 507 612 651 763 952",
    "MO": "235 314 417 557 573 636 660 816 975",
    "MS": "228 601 662 769",
    "MT": "406",
    "NC": "252 336 472 704 743 828 910 919 980 984",
    "ND": "701",
    "NE": "308 402 531",
    "NH": "603",
    "NJ": "201 551 609 640 732 848 856 862 908 973",
    "NM": "505 575",
    "NV": "702 725 775",
    "NY": "212 315 329 332 347 363 516 518 585 607 631 646 680 716 718 838 845 914 917 929 934",
    "OH": "216 220 234 283 326 330 380 419 440 513 567 614 740 937",
    "OK": "405 539 572 580 918",
    "OR": "458 503 541 971",
    "PA": "215 223 267 272 412 445 484 570 582 610 717 724 814 835 878",
    "RI": "401",
    "SC": "803 821 839 843 854 864",
    "SD": "605",
    "TN": "423 615 629 731 865 901 931",
    "TX": (
        "210 214 254 281 325 346 361 409 430 432 469 512 682 713 726 737 806 817 830 832 903 915 "
        "936 940 945 956 972 979"
    ),
    "UT": "385 435 801",
    "VA": "276 434 540 571 686 703 757 804 826 948",
    "VT": "802",
    "WA": "206 253 360 425 509",
    "WI": "262 274 353 414 534 608 715 920",
    "WV": "304 681",
    "WY": "307",
}
STATE_OF_AREA_CODE: dict[str, str] = {
    code: state for state, codes in _AREA_CODES_BY_STATE.items() for code in codes.split()
}


def state_for(number: str) -> str | None:
    """The US state (two-letter USPS code, "DC" for Washington D.C.) of an E.164 number's
    area code; None for numbers outside the US, non-geographic codes, and non-numbers."""
    if not number.startswith("+1") or len(number) != 12 or not number[1:].isdigit():
        return None
    try:
        parsed = phonenumbers.parse(number)
    except phonenumbers.NumberParseException:
        return None
    if phonenumbers.region_code_for_number(parsed) != "US":
        return None
    return STATE_OF_AREA_CODE.get(number[2:5])


_NAMES = {
    "ALABAMA": "AL", "ALASKA": "AK", "ARIZONA": "AZ", "ARKANSAS": "AR", "CALIFORNIA": "CA",
    "COLORADO": "CO", "CONNECTICUT": "CT", "DELAWARE": "DE", "DISTRICT OF COLUMBIA": "DC",
    "FLORIDA": "FL", "GEORGIA": "GA", "HAWAII": "HI", "IDAHO": "ID", "ILLINOIS": "IL",
    "INDIANA": "IN", "IOWA": "IA", "KANSAS": "KS", "KENTUCKY": "KY", "LOUISIANA": "LA",
    "MAINE": "ME", "MARYLAND": "MD", "MASSACHUSETTS": "MA", "MICHIGAN": "MI", "MINNESOTA": "MN",
    "MISSISSIPPI": "MS", "MISSOURI": "MO", "MONTANA": "MT", "NEBRASKA": "NE", "NEVADA": "NV",
    "NEW HAMPSHIRE": "NH", "NEW JERSEY": "NJ", "NEW MEXICO": "NM", "NEW YORK": "NY",
    "NORTH CAROLINA": "NC", "NORTH DAKOTA": "ND", "OHIO": "OH", "OKLAHOMA": "OK", "OREGON": "OR",
    "PENNSYLVANIA": "PA", "RHODE ISLAND": "RI", "SOUTH CAROLINA": "SC", "SOUTH DAKOTA": "SD",
    "TENNESSEE": "TN", "TEXAS": "TX", "UTAH": "UT", "VERMONT": "VT", "VIRGINIA": "VA",
    "WASHINGTON": "WA", "WEST VIRGINIA": "WV", "WISCONSIN": "WI", "WYOMING": "WY",
}  # fmt: skip


def state_named(region: str | None) -> str | None:
    """A state's USPS code from what a carrier or a form gave ("FL", "Florida"); None if
    it names no state."""
    if not region:
        return None
    given = " ".join(region.split()).upper()
    return given if given in _AREA_CODES_BY_STATE else _NAMES.get(given)


# The first three digits of a ZIP code -> its state, as inclusive ranges (USPS prefixes; a
# few prefixes inside a range belong to a neighbour and are listed after it, overriding).
_ZIP3_RANGES = (
    (10, 27, "MA"), (28, 29, "RI"), (30, 38, "NH"), (39, 49, "ME"), (50, 59, "VT"),
    (55, 55, "MA"), (60, 69, "CT"), (70, 89, "NJ"), (100, 149, "NY"), (5, 5, "NY"),
    (150, 196, "PA"), (197, 199, "DE"), (200, 205, "DC"), (201, 201, "VA"), (569, 569, "DC"),
    (206, 219, "MD"), (220, 246, "VA"), (247, 268, "WV"), (270, 289, "NC"), (290, 299, "SC"),
    (300, 319, "GA"), (398, 399, "GA"), (320, 349, "FL"), (350, 369, "AL"), (370, 385, "TN"),
    (386, 397, "MS"), (400, 427, "KY"), (430, 459, "OH"), (460, 479, "IN"), (480, 499, "MI"),
    (500, 528, "IA"), (530, 549, "WI"), (550, 567, "MN"), (570, 577, "SD"), (580, 588, "ND"),
    (590, 599, "MT"), (600, 629, "IL"), (630, 658, "MO"), (660, 679, "KS"), (680, 693, "NE"),
    (700, 714, "LA"), (716, 729, "AR"), (730, 749, "OK"), (733, 733, "TX"), (750, 799, "TX"),
    (885, 885, "TX"), (800, 816, "CO"), (820, 831, "WY"), (832, 838, "ID"), (840, 847, "UT"),
    (850, 865, "AZ"), (870, 884, "NM"), (889, 898, "NV"), (900, 961, "CA"), (967, 968, "HI"),
    (970, 979, "OR"), (980, 994, "WA"), (995, 999, "AK"),
)  # fmt: skip
STATE_OF_ZIP3: dict[int, str] = {
    prefix: state for low, high, state in _ZIP3_RANGES for prefix in range(low, high + 1)
}


def state_of_zip(zip_code: str | None) -> str | None:
    """The state of a US ZIP code ("33101" or ZIP+4 "33101-1234"); None for anything else
    (a malformed code, a prefix of a territory or the military post)."""
    if not zip_code:
        return None
    digits = zip_code.strip()
    if len(digits) == 10 and digits[5] == "-" and digits[6:].isdigit():
        digits = digits[:5]
    if len(digits) != 5 or not digits.isdigit() or not digits.isascii():
        return None
    return STATE_OF_ZIP3.get(int(digits[:3]))
