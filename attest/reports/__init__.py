"""Reports of evidence for people who read them outside Attest: PDF documents built from the
same documents and chart definitions the web app shows."""
