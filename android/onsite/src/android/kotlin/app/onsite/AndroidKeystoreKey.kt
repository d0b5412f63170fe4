package app.onsite

import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyProperties
import java.security.KeyStore
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey

/**
 * The Android Keystore key that wraps the store key (AES-256-GCM). It is made
 * once inside the keystore (hardware-backed where the phone has it) and never
 * leaves it. Android only: the JVM suite uses a software key instead.
 *
 * ```
 * val key = StoreKeys.getOrCreate(File(filesDir, "store.key"), AndroidKeystoreKey.wrapper())
 * val tech = Onsite.open(File(filesDir, "onsite.sqlite3").path, key, profile)
 * key.fill(0)
 * ```
 */
object AndroidKeystoreKey {
    private const val ALIAS = "app.onsite.store-key-wrapper"

    fun wrapper(): KeyWrapper = AesGcmKeyWrapper(::secretKey)

    /** Deletes the wrapping key from the keystore (after a remote wipe, with [StoreKeys.delete]). */
    fun delete() {
        KeyStore.getInstance("AndroidKeyStore").apply { load(null) }.deleteEntry(ALIAS)
    }

    private fun secretKey(): SecretKey {
        val keyStore = KeyStore.getInstance("AndroidKeyStore").apply { load(null) }
        (keyStore.getKey(ALIAS, null) as? SecretKey)?.let { return it }
        val generator = KeyGenerator.getInstance(KeyProperties.KEY_ALGORITHM_AES, "AndroidKeyStore")
        generator.init(
            KeyGenParameterSpec.Builder(ALIAS, KeyProperties.PURPOSE_ENCRYPT or KeyProperties.PURPOSE_DECRYPT)
                .setBlockModes(KeyProperties.BLOCK_MODE_GCM)
                .setEncryptionPaddings(KeyProperties.ENCRYPTION_PADDING_NONE)
                .setKeySize(256)
                .build(),
        )
        return generator.generateKey()
    }
}
