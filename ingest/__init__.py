"""Sources of PubMed records: XML and MEDLINE files, and NCBI's E-utilities."""
