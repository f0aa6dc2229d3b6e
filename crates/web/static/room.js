// room pages' script: hand-written, no libraries.
