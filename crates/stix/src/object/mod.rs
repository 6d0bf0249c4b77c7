//! STIX 2.1 objects (see module docs inside).
