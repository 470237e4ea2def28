"""nbgrader glue: the shared step scoring, and preprocessors that execute resiliently and judge outside the kernel."""
