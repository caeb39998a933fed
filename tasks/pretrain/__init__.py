"""Pretraining a small T5 code backbone from scratch, offline: ``transducer pretrain`` (see :mod:`.train`)."""
