-- The schema registry's own database (Apicurio SQL storage), beside the history store's.
CREATE DATABASE registry;
