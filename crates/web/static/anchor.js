// anchor pages' script: hand-written, no libraries.
