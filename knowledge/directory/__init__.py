"""The directory "Wer macht was?": roles (model), the service that keeps lookup and storage in
step, the lookup engine and its synonyms, and the YAML/CSV files it is exchanged in."""
