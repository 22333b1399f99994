# shellcheck shell=bash
# Sourced by the bashonly command (bash's `source`; dash has only `.`).
export LIB=loaded
