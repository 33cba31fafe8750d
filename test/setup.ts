// @peculiar/x509 throws at import unless reflect-metadata is loaded first.
import "reflect-metadata";
