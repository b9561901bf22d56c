"""The leadership dashboard and the periodic reports generated from every module."""
