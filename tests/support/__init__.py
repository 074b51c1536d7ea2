"""What the tests share: paths, sample records, fake servers, stores and HTTP checks."""
