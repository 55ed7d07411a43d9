export { saveModel, loadModel, modelToBytes, modelFromBytes, MAX_FILE_BYTES } from './save';
export { FORMAT_VERSION, MAGIC, decodeModelFile, encodeModelFile } from './format';
export { crc32 } from './crc32';
