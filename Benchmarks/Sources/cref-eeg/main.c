// cref-eeg: the C reference as a whole process, for timing beside the eeg command.
//   cref-eeg bandpower INPUT.f32 CHANNELS RATE EPOCH_SECONDS OUT.csv
//   cref-eeg analyze   INPUT.f32 CHANNELS RATE OUT.csv
#include "cref.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc == 7 && strcmp(argv[1], "bandpower") == 0)
        return cref_bandpower_file(argv[2], atoi(argv[3]), atof(argv[4]), atof(argv[5]), argv[6]);
    if (argc == 6 && strcmp(argv[1], "analyze") == 0)
        return cref_analyze_file(argv[2], atoi(argv[3]), atof(argv[4]), argv[5]);
    fprintf(stderr, "usage: cref-eeg bandpower IN CHANNELS RATE EPOCH_S OUT | analyze IN CHANNELS RATE OUT\n");
    return 64;
}
