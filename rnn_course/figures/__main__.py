"""``python -m rnn_course.figures [root]``: draw the prose pages' figures as SVG files."""
import sys

from .diagrams import main

sys.exit(main())
