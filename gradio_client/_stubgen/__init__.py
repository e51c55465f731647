"""The stub generator behind ``gradio-client stubs`` (public surface: :mod:`gradio_client.stubs`).

* ``types.py``: an endpoint parameter's JSON schema to a Python annotation (:func:`annotation`);
* ``names.py``: api names and parameter names to valid, unique identifiers;
* ``render.py``: the generated module's text (:func:`render_module`);
* ``cli.py``: the ``stubs`` subcommand of ``gradio-client``.
"""
