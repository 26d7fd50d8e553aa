import sys

from embedgate.cli.entry import main

sys.exit(main())
