module github.com/s2sd/s2sd

go 1.26.8
