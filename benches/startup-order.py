"""The functions of the iotcheck executable that callgrind output files saw run, in the order
first seen, one symbol name a line (as the linker names them: mangled, callgrind's recursion
marks removed). benches/startup-order.sh writes startup-symbols.txt with it; see there."""

import re
import sys

binary = sys.argv[1]
seen = {}
for path in sys.argv[2:]:
    objects = {}
    functions = {}
    current = None
    for line in open(path, encoding="utf-8", errors="replace"):
        if line.startswith(("ob=", "cob=")):
            # A name is given once, with its number, wherever it first appears.
            m = re.match(r"c?ob=\((\d+)\)(?: (.*))?", line.strip())
            if m and m.group(2):
                objects[m.group(1)] = m.group(2)
            if line.startswith("ob="):
                current = objects.get(m.group(1)) if m else None
        elif line.startswith(("fn=", "cfn=")):
            m = re.match(r"c?fn=\((\d+)\)(?: (.*))?", line.strip())
            if not m:
                continue
            if m.group(2):
                functions[m.group(1)] = m.group(2)
            name = functions.get(m.group(1), "")
            if line.startswith("fn=") and current == binary:
                name = re.sub(r"'\d+$", "", name)  # callgrind's mark of a recursive call
                if name and not name.startswith(("0x", "(")):
                    seen.setdefault(name, None)
for name in seen:
    print(name)
