"""Stand-ins for outside services, at their HTTP boundary only (see ``akismet``)."""
