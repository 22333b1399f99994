"""Print the mutation score of a `make mutation` run from mutmut's CI/CD stats file.

The score counts the mutants the unit tests could notice: those in functions no unit
test calls ("no tests": they run only inside Ansible modules, covered by
tests/functional and molecule) are reported apart, not counted as survivors.
"""

import json
import sys


def main(path):
    with open(path, encoding="utf-8") as handle:
        stats = json.load(handle)
    caught = stats["killed"] + stats["timeout"] + stats["segfault"]
    tested = caught + stats["survived"] + stats["suspicious"]
    print("mutation: %d mutants; of the %d that unit tests reach, %d caught, %d survived, "
          "%d suspicious: score %.1f%%; %d in code no unit test calls; %d skipped"
          % (stats["total"], tested, caught, stats["survived"], stats["suspicious"],
             100.0 * caught / tested if tested else 0.0, stats["no_tests"], stats["skipped"]))


if __name__ == "__main__":
    main(sys.argv[1])
