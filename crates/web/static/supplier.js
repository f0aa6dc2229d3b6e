// supplier pages' script: hand-written, no libraries.
