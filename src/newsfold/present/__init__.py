"""What users see: the read model (:mod:`.query`), reports, citations, the CLI and the web app."""
