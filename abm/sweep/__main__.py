import sys

from abm.sweep.cli import main

sys.exit(main())
