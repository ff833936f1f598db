"""`python -m bench [--quick] [--events N] [--seconds S] [--clients 4,8]`."""

import sys

from bench.run import main

if __name__ == "__main__":  # spawned client processes import this module too
    sys.exit(main())
