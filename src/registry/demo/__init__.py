"""The Ouyang Road demo: the real co-building network of the newsletter, loaded through the service
layer (`load`), from plain data (`network`), printed as tables (`board`)."""
