"""Tests of the applications domain: the form, documents, the private link, the back office."""
