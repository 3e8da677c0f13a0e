"""Parts of the lodging benchmark (``benchmarks/declarations.py``)."""
