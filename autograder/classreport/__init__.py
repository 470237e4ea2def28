"""What a class got wrong: a per-step misconception report built from grading's records, without a kernel.

:mod:`.records` reads the gradebook and the verdicts grading sealed into the autograded notebooks,
:mod:`.stats` counts them (pure functions), :mod:`.groups` groups equal wrong answers with the engine,
:mod:`.render` writes the self-contained HTML (plots and math as inline SVG), JSON and CSV.
"""
