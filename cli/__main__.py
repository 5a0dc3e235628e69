"""`python -m cli`: how `presave up` starts its roles."""

import sys

from cli import main

sys.exit(main())
