"""`mom serve`: an OpenAI-compatible Mixture-of-Models gateway (Starlette + uvicorn).

The front end only: requests are parsed into core types (shapes.py), answered through
core.py (the one module that touches the provider pool, router and ledger; the lead can
point it at the service layer later) and rendered back in OpenAI's exact shapes.
Needs the `serve` extra: pip install 'mom-cli[serve]'.
"""
