export const runCommand = async () => 2;
