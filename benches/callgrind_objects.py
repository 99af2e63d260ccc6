"""Instructions per object file (the executable, ld.so, libc, ...) from a callgrind output file:
the self cost of every function, summed by the object it belongs to. Prints "TOTAL N" and then
"N OBJECT" lines, largest first. Used by benches/startup.sh to separate the dynamic loader's
work (relocations, symbol binding) from the program's."""

import re
import sys
from collections import Counter

names = {}
per_object = Counter()
current = None
skip_next = False
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    if skip_next:  # the inclusive cost of a call, counted in the callee already
        skip_next = False
        continue
    if line.startswith(("ob=", "cob=")):
        # A name is given once, with its number, wherever it first appears (ob= or cob=).
        key, _, value = line.strip().partition("=")
        m = re.match(r"\((\d+)\)(?: (.*))?", value)
        if m and m.group(2):
            names[m.group(1)] = m.group(2)
        if key == "ob":
            current = names.get(m.group(1), m.group(1)) if m else value
    elif line.startswith("calls="):
        skip_next = True
    elif line[:1].isdigit() or line[:1] in "+-*":
        parts = line.split()
        if len(parts) >= 2:
            per_object[current] += int(parts[1])
total = sum(per_object.values())
print("TOTAL", total)
for obj, n in per_object.most_common():
    print(n, obj)
