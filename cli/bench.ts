export const benchCommand = async () => 2;
