"""A local JupyterHub for a course (``autograder hub``, ``make hub``): ``users`` (system accounts with generated
passwords), ``course`` (exchange, the course in the instructor's home, each user's Jupyter settings), ``config``
(jupyterhub_config.py), ``setup`` (all of it, recorded for removal) and ``run`` (start and stop the hub)."""
