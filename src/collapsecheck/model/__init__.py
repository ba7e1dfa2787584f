"""Models: the frozen data (``core``), the authoring builder, kernel primitives and the semantics."""
