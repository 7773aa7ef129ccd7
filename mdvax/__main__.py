import sys

from mdvax.cli import main

sys.exit(main())
